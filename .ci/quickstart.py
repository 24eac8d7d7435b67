"""Print a code block of README.md's "Quick start" section: ``demo`` (first) or ``test`` (second).

CI runs the printed test command, so the README and CI can never disagree.
"""

import re
import sys
from pathlib import Path

readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", section, flags=re.S)
if len(blocks) != 2:
    sys.exit(f"README.md Quick start must have exactly two code blocks, found {len(blocks)}")
print(blocks[{"demo": 0, "test": 1}[sys.argv[1]]].strip())
