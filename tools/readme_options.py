"""Write the README's list of dream options from dreamlib/knobs.py (a test checks they agree).

    python tools/readme_options.py
"""

from pathlib import Path

from dreamlib import knobs

MARKER = "<!-- dream options: generated from dreamlib/knobs.py by tools/readme_options.py -->"
README = Path(__file__).resolve().parents[1] / "README.md"


def main():
    text = README.read_text(encoding="utf-8")
    before, after = text.split(MARKER)
    rest = after.split("```", 2)[2]  # drop the old block
    block = "\n```text\n" + "\n".join(knobs.option_lines()) + "\n```"
    README.write_text(before + MARKER + block + rest, encoding="utf-8")
    print(f"wrote {len(knobs.option_lines())} options into {README}")


if __name__ == "__main__":
    main()
