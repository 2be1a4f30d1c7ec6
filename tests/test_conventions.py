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


def relative_imports(path: Path) -> set[str]:
    """Modules of the factcheck package a module imports, as dotted names ("factcheck.web.shared")."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    if path.name == "__init__.py":
        package = path.relative_to(ROOT).parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("factcheck"):
                module = node.module
            else:
                continue
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("factcheck"))
    return names


LAYERS = {  # within each package: pages/endpoints -> (auth) -> shared -> domain, never back
    "web": {"shared": 0, "auth": 1},
    "api": {"shared": 0, "auth": 1, "docs": 1},
}


def test_web_and_api_imports_run_one_way():
    problems = []
    for package, layers in LAYERS.items():
        modules = {p.stem: p for p in (PACKAGE / package).glob("*.py") if p.name != "__init__.py"}
        assert "shared" in modules, f"factcheck/{package}/shared.py is missing"
        for name, path in modules.items():
            level = layers.get(name, 2)  # 2: a module of pages or endpoints
            for imported in relative_imports(path):
                parts = imported.split(".")
                if parts[:2] == ["factcheck", package] and len(parts) > 2 and parts[2] in modules:
                    if layers.get(parts[2], 2) >= level:
                        problems.append(f"factcheck/{package}/{name}.py imports {parts[2]}")
                if parts[:2] == ["factcheck", package] and len(parts) == 2:
                    problems.append(f"factcheck/{package}/{name}.py imports its own package")
    # Nothing below the web layer imports it.
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        if rel[0] in ("web", "api") or rel == ("__init__.py",):
            continue
        used = {i for i in relative_imports(path) if i.split(".")[:2] in (["factcheck", "web"], ["factcheck", "api"])}
        if used:
            problems.append(f"factcheck/{'/'.join(rel)} imports {sorted(used)}")
    assert not problems, problems
