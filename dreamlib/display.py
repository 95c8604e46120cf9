"""Live previews for notebooks: one picture that updates in place while a loop runs.

In a terminal (no IPython display) every call is a silent no-op, so library code can always
offer a preview without caring where it runs.
"""

from dreamlib.images import label_image, to_uint8


def _in_notebook():
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and shell.__class__.__name__ != "TerminalInteractiveShell"
    except ImportError:
        return False


class LivePreview:
    """A picture in the notebook output that ``update`` replaces in place (no scrolling wall)."""

    def __init__(self, width=384):
        self.width = width
        self.handle = None
        self.updates = 0
        self.last = None

    def update(self, img, caption=None):
        """Show ``img`` (float RGB [0, 255]) with an optional caption strip, replacing the last one."""
        from PIL import Image

        self.updates += 1
        self.last = img
        if not _in_notebook():
            return
        from IPython.display import display

        shown = label_image(img, caption) if caption else img
        pil = Image.fromarray(to_uint8(shown))
        if pil.width > self.width:
            pil = pil.resize((self.width, max(1, round(pil.height * self.width / pil.width))))
        if self.handle is None:
            self.handle = display(pil, display_id=True)
        else:
            self.handle.update(pil)

    def on_octave(self, index, img):
        """Callback for ``Dreamer.dream(on_octave=...)``: show the picture after each octave."""
        self.update(img, f"after octave {index + 1}")


def show_source(obj):
    """Show the source code of a dreamlib function or class: the code you read is the code that runs."""
    import inspect

    source = inspect.getsource(obj)
    if not _in_notebook():
        print(source)
        return
    from IPython.display import Code, display

    display(Code(source, language="python"))


def show_grid(images, titles=None, cols=None, size=3.2):
    """Show several pictures side by side now (mid-cell), not only at the end of the cell."""
    import matplotlib.pyplot as plt

    from dreamlib.images import image_grid

    image_grid(images, titles, cols=cols, size=size)
    plt.show()
