"""The shape of the views (issue 17): no route module imports another route module; templates
get their data and never call for it; every route module acts through ``refusals.acting``."""

import ast
import re
from pathlib import Path

import imi_web

PACKAGE = Path(imi_web.__file__).resolve().parent
TEMPLATES = PACKAGE.parent / "templates"
ROUTE_MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.stem == "routes" or p.stem.endswith("_routes"))


def imported_modules(path: Path) -> set[str]:
    """The modules ``path`` imports, resolved to dotted names inside imi_web."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_route_modules_are_found():
    assert len(ROUTE_MODULES) >= 15


def test_no_route_module_imports_another():
    for path in ROUTE_MODULES:
        imported = imported_modules(path)
        others = {n for n in imported if n.rsplit(".", 1)[-1] == "routes" or n.endswith("_routes")}
        assert not others, f"{path.relative_to(PACKAGE)} imports {others}"


def test_route_modules_commit_only_where_a_comment_says_why():
    for path in ROUTE_MODULES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "db.session.commit()" in line:
                before = path.read_text().splitlines()[number - 3 : number]
                assert any("#" in text for text in before), f"{path.name}:{number}: a commit without its reason"
            assert "apply_to_form" not in line, f"{path.name}:{number}: a refusal by hand; use refusals.acting"


def test_templates_call_no_data_functions():
    calls = re.compile(r"\b(management_details|retirement_details|edit_mode)\s*\(")
    for path in TEMPLATES.rglob("*.html"):
        assert not calls.search(path.read_text()), f"{path.relative_to(TEMPLATES)} fetches its own data"


def test_every_tab_with_data_of_its_own_has_its_context_registered(app):
    from imi_web.authorities import tabs

    assert set(tabs._CONTEXTS) == {"authority", "modules", "users", "management"}
    assert set(tabs._CONTEXTS) <= set(tabs.TABS)
