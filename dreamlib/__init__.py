"""dreamlib: small, tested helpers for the DeepDream course.

Importing the package does no work: TensorFlow is imported only by the modules that need it.
One module per course idea:

- ``settings``   the quick/full switch and the random-weights permission
- ``knobs``      every knob of a dream described once (defaults, quick values, ranges, help)
- ``environment`` versions, the device and what quick mode means (each notebook's first cell)
- ``images``     load, resize, save (pictures and animations), show, bundled samples
- ``files``      writing safely: a temp file then a rename, never replacing a file unasked
- ``models``     backbones, their preprocessing, dreamable layers, weights
- ``objectives`` what to maximise
- ``ascent``     gradient ascent on the input image
- ``octaves``    octave shapes and lost-detail reinjection
- ``tiles``      random roll and tiled gradients for big images
- ``channels``   which channels of a layer a picture excites: dream with some of them
- ``dream``      the whole DeepDream, composed from the above
- ``guided``     guided dreams: grow a guide picture's features (notebook 05)
- ``zoom``       the infinite-zoom animation
- ``widgets``    the interactive dream explorer for notebooks (controls, checks, dreaming, saving)
- ``data``       Fashion-MNIST, MNIST and folders of pictures for the GAN
- ``gan``        the bonus DCGAN: builders, training, checkpoints (notebook 06)
- ``visualize``  feature visualisation from noise (notebook 01): the render loop and its measures
- ``parameterize`` how a visualisation represents its picture: pixels or a decorrelated Fourier image
- ``transforms`` random pad, jitter, scale and rotation a visualisation must survive
- ``display``    live previews in notebooks
- ``exercises``  the notebooks' exercises: specs (one module a notebook), the learner's check, the grader
- ``cli``        the ``dreamlib`` command line
- ``quiet``      TensorFlow's C++ log lines kept off the terminal
"""

from dreamlib.errors import DreamlibError

__version__ = "0.1.0"
__all__ = ["DreamlibError", "__version__"]
