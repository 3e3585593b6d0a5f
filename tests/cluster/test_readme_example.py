"""The README's five-line k-means example runs and prints the convergence line."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.slow
def test_readme_kmeans_example(capsys):
    text = README.read_text(encoding="utf-8")
    section = text.split("## K-means", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) == 5
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"K-means converged after \d+ steps\.", lines[-2])
    steps = int(re.search(r"\d+", lines[-2]).group())
    assert lines[-1].split()[1:] == [str(steps), "(10,", "784)"]
    assert lines[-3].startswith(f"Converged at iteration {steps}: ")
    assert [line.split(",")[0] for line in lines[1:-3]] == [
        f"Iteration {t}" for t in range(1, steps + 1)]
