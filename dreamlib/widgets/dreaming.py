"""The explorer's dreaming thread: a dream runs beside the kernel, so that Stop is heard at once.

A notebook's kernel runs one thing at a time: a dream run in the cell itself would leave the
Stop button's click waiting until the dream ends. ``DreamThread`` runs it in a background thread
and tells the panel what happens through callbacks (it knows no widgets): a status line, the
steps done, the picture after every octave, and the end.
"""

import contextvars
import threading

from dreamlib.errors import DreamlibError


def summary(record, octaves):
    """One line on a finished (or stopped) dream: 'done: 3/3 octaves in 2.1 s; last loss 0.52'."""
    done = "stopped: kept" if record.interrupted else "done:"
    line = f"{done} {len(record.losses)}/{octaves} octaves"
    if record.losses and record.losses[-1]:
        line += f" in {record.seconds:.1f} s; last loss {record.losses[-1][-1]:.3g}"
    return line


class DreamThread:
    """One dream at a time in a background thread; ``stop()`` ends it after the current step.

    The callbacks: ``say(text)`` a status line, ``step(done)`` the ascent steps done so far,
    ``show(picture)`` a picture to preview (float RGB, UNTRAINED stamped when so), and
    ``finished(result, error)`` once at the end: the ``DreamResult`` (also when stopped) or None,
    and the error's one line or None. The compiled dreamer is kept while its key stays the same.
    """

    def __init__(self, say, step, show, finished):
        self.say, self.step, self.show, self.finished = say, step, show, finished
        self.running = False
        self._stop = threading.Event()
        self._thread = None
        self._dreamer = self._key = None

    def start(self, picture, settings, key, build):
        """Dream on ``picture`` with ``settings``; ``build()`` makes the dreamer when ``key`` changed."""
        if self.running:
            raise DreamlibError("a dream is already running: press Stop or wait for it")
        self._stop.clear()
        self.running = True
        # copy_context: widget updates from the thread belong to the cell that started it
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, daemon=True,
                                        args=(self._run, picture, settings, key, build))
        self._thread.start()

    def stop(self):
        """Ask the running dream to stop after its current step; the picture so far is kept."""
        if self.running:
            self._stop.set()
            self.say("stopping...")

    def join(self, timeout=None):
        """Wait for the dream (if any) to end; one line if it is still running after ``timeout`` s."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise DreamlibError(f"the dream is still running after {timeout} s")

    def _run(self, picture, settings, key, build):
        result = error = None
        try:
            if self._key != key:
                self.say("compiling the gradient...")
                self._dreamer, self._key = build(), key
            result = self._dream(self._dreamer, picture, settings)
        except Exception as e:  # a thread's exception would vanish: hand it to the panel
            error = str(e) if isinstance(e, DreamlibError) else f"{e.__class__.__name__}: {e}"
        finally:
            self.running = False
            self.finished(result, error)

    def _dream(self, dreamer, picture, settings):
        from dreamlib.images import stamp_untrained

        octaves = settings.octaves

        def on_octave(index, img):
            self.show(stamp_untrained(img, dreamer.untrained))
            self.say(f"octave {index + 1}/{octaves} done")

        def on_step(index, step, loss):
            self.step(settings.steps * index + step)
            if self._stop.is_set():
                self.say(f"stopped in octave {index + 1}/{octaves}, step {step}")
                return False
            return True

        self.say(f"dreaming octave 1/{octaves}...")
        result = dreamer.dream(picture, settings, progress=False, on_octave=on_octave, on_step=on_step)
        self.show(result.labelled_image())
        self.say(summary(result.record, octaves))
        return result
