"""Live previews for notebooks: one picture that updates in place while a loop runs.

In a terminal (no IPython display) every call is a silent no-op, so library code can always
offer a preview without caring where it runs.
"""

import numpy as np

from dreamlib.images import label_image, stamp_untrained, to_uint8


def _in_notebook():
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and shell.__class__.__name__ != "TerminalInteractiveShell"
    except ImportError:
        return False


class LivePreview:
    """A picture in the notebook output that ``update`` replaces in place (no scrolling wall).

    ``untrained=True`` (pass ``backbone.untrained``) stamps the UNTRAINED warning on every picture.
    """

    def __init__(self, width=384, untrained=False):
        self.width = width
        self.untrained = untrained
        self.handle = None
        self.updates = 0
        self.last = None

    def picture(self, img, caption=None):
        """What ``update`` shows: ``img`` at most ``width`` wide, the caption on top, the stamp below."""
        from PIL import Image

        pil = Image.fromarray(to_uint8(img))
        if pil.width > self.width:  # shrink first, so the labels keep their readable size
            pil = pil.resize((self.width, max(1, round(pil.height * self.width / pil.width))), Image.LANCZOS)
        shown = stamp_untrained(np.asarray(pil, np.float32), self.untrained)
        return to_uint8(label_image(shown, caption, top=True) if caption else shown)

    def update(self, img, caption=None):
        """Show ``img`` (float RGB [0, 255]) with an optional caption strip, replacing the last one."""
        from PIL import Image

        self.updates += 1
        self.last = img
        if not _in_notebook():
            return
        from IPython.display import display

        pil = Image.fromarray(self.picture(img, caption))
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


def show_grid(images, titles=None, cols=None, size=3.2, untrained=False):
    """Show several pictures side by side now (mid-cell), not only at the end of the cell.

    ``untrained`` (one flag, or one per picture) stamps the UNTRAINED warning on those pictures.
    """
    import matplotlib.pyplot as plt

    from dreamlib.images import image_grid

    image_grid(images, titles, cols=cols, size=size, untrained=untrained)
    plt.show()
