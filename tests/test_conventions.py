"""Conventions the project keeps: every setting documented; the layers import only what they should."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "factcheck"


def test_every_setting_is_documented_in_the_readme():
    settings = set(re.findall(r"\"((?:FACTCHECK|ELASTICSEARCH)_[A-Z_]+)\"", (PACKAGE / "config.py").read_text()))
    assert settings, "no settings found in config.py"
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in settings if f"`{name}`" not in readme)
    assert not missing, f"settings not in README.md's configuration table: {missing}"


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_elasticsearch_store_imports_the_client():
    users = sorted(p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")
                   if "elasticsearch" in imports_of(p))
    assert users == ["factcheck/store/elastic.py"]


def test_nothing_below_the_web_layer_imports_flask():
    below = [PACKAGE / "check.py", PACKAGE / "compare.py", PACKAGE / "timeline.py", PACKAGE / "review.py", PACKAGE / "ingest.py",
             PACKAGE / "models.py", PACKAGE / "textutil.py", *PACKAGE.glob("store/*.py"), *PACKAGE.glob("extract/*.py")]
    offenders = sorted(p.relative_to(ROOT).as_posix() for p in below if {"flask", "flask_smorest"} & imports_of(p))
    assert not offenders
