"""Pictures in and out of the explorer's widgets: a dropdown's or an upload's picture, a preview's PNG."""

import io

from dreamlib.images import load_image, to_uint8

UPLOAD = "upload"  # the dropdown choice that means "the file given to the upload button"


def png_bytes(img):
    """A float RGB [0, 255] picture as PNG bytes, for an ``ipywidgets.Image``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(img)).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_upload(upload, max_size=None):
    """The picture in a ``FileUpload``'s value (its last file), loaded like any image file."""
    item = upload[-1]
    return load_image(bytes(item["content"]), max_size=max_size, name=f"the uploaded {item['name']}")


def chosen_picture(choice, upload, max_size=None):
    """(picture, None) for a dropdown's choice (a sample, a path or UPLOAD), or (None, what to do first).

    An unreadable file raises its one-line DreamlibError.
    """
    if choice.value == UPLOAD:
        if not upload.value:
            return None, f"press '{upload.description}' to choose a picture"
        return decode_upload(upload.value, max_size), None
    return load_image(choice.value, max_size=max_size), None


def picture_name(choice, upload):
    """A picture's name for the saved record: the sample's or path's, or the uploaded file's."""
    return upload.value[-1]["name"] if choice.value == UPLOAD else choice.value
