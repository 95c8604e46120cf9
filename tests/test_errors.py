"""The shared range checks: one clear line that names the parameter, the range and an example."""

import pytest

from dreamlib.errors import DreamlibError, check_number, check_whole_number


def test_number_checks_give_one_line_with_the_range_and_an_example():
    assert check_whole_number("epochs", 3) == 3 and check_number("fps", 12, 0, 60, example=12) == 12.0
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(DreamlibError, match=r"epochs must be a whole number of at least 1, such as 10"):
            check_whole_number("epochs", bad)
    with pytest.raises(DreamlibError, match=r"frames must be a whole number from 1 to 9, such as 4; got 10"):
        check_whole_number("frames", 10, 1, 9, example=4)
    for bad in (0, float("nan"), float("inf"), 61, False):
        with pytest.raises(DreamlibError, match=r"fps must be a number above 0 and at most 60, such as 12"):
            check_number("fps", bad, 0, 60, example=12)
