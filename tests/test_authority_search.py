"""The one search of authorities and the one module of choices (issue 17, point 3): what the
layout promises, read from the source."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "imi_web"
AREAS = {path.parent.name for path in PACKAGE.glob("*/__init__.py")} - {"models"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def area_of(path: pathlib.Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 and parts[0] in AREAS else None


def imported_area(node: ast.ImportFrom, path: pathlib.Path) -> str | None:
    """The area an ``import from`` reads from (relative or absolute), if any."""
    if node.level:
        base = path.relative_to(PACKAGE).parts[:-1]
        base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
        parts = [*base, *(node.module.split(".") if node.module else [])]
    else:
        parts = node.module.split(".")[1:] if node.module and node.module.startswith("imi_web.") else []
    return parts[0] if parts and parts[0] in AREAS else None


def test_no_area_imports_another_areas_private_names():
    found = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = imported_area(node, path)
                if source and source != area_of(path):
                    found += [f"{path.name}: {source}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert found == []


def test_the_search_lives_in_one_neutral_module():
    """Every area that lists authorities imports the one search, none another area's search."""
    users = set()
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("authority_search"):
                users.add(area_of(path))
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("search") and node.level:
                source = imported_area(node, path)
                assert source in (None, area_of(path)), f"{path}: imports the search of {source}"
    assert {"authorities", "directory", "send_email", "access_overview"} <= users


def test_module_choices_and_the_language_have_one_home():
    for path, tree in modules():
        if path.name in ("choices.py", "i18n.py"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "select(Module.id, Module.code, Module.name_lv" not in text, path
        assert "str(get_locale())" not in text, path
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert not names & {"language", "_language", "module_choices", "general_classification_choices"}, path
