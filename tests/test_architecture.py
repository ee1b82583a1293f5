"""The apps are layers (docs/architecture.md): an app imports only the apps below it, so a
lower app never depends on a higher one, which reaches it through its signals instead.

Every `.py` file of each app is parsed with `ast`: its `import` and `from ... import`
statements anywhere in the file (in a function too), and the modules named by a constant
string in `include()`, `import_module()` or `import_string()`. What breaks the rule today
is listed in ALLOWED, file by file with its reason; the list may only shrink.
"""

import ast
from pathlib import Path

from django.conf import settings

from tests.helpers import project_apps

# Lowest first. Apps on the same layer do not import each other either.
LAYERS = [
    ["portage"],
    ["consultants"],
    ["invoices"],
    ["einvoicing"],
    ["dunning"],
    ["insurance"],
    ["accounting", "webhooks"],
]
LAYER_OF = {app: level for level, apps in enumerate(LAYERS) for app in apps}

# (file, app it imports) → why. Remove an entry when its import goes.
ALLOWED = {
    # The project's composition root lives in portage beside the core: the root URL conf
    # and the operator's seed command name every app.
    **{
        ("portage/urls.py", app): "the root URL conf includes every app's pages"
        for app in LAYER_OF
        if app != "portage"
    },
    **{
        ("portage/management/commands/seed_demo.py", app): (
            "seed_demo runs each app's demo in turn (manage.py seed_demo)"
        )
        for app in ["invoices", "einvoicing", "dunning", "insurance"]
    },
    # The consultant's portal and activity account show the pay status of their invoices
    # (invoices.selectors.pay_status): the portal belongs above invoices; it moves when the
    # role homes are composed from signals (issue 15, item 5).
    ("consultants/views.py", "invoices"): "the portal's invoices and pay status",
    ("consultants/api.py", "invoices"): "the activity account's pay status",
}

LOADERS = {"include", "import_module", "import_string"}


def app_files():
    root = Path(settings.BASE_DIR)
    for app in LAYER_OF:
        for path in sorted((root / app).rglob("*.py")):
            yield app, path.relative_to(root).as_posix(), path


def imported_modules(source):
    """(line, module) for each module the source imports or loads by name."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in LOADERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def upward_imports():
    """{(file, imported app): [lines]} for each import of an app not below the file's."""
    found = {}
    for app, name, path in app_files():
        for line, module in imported_modules(path.read_text()):
            target = module.split(".")[0]
            if target in LAYER_OF and target != app and LAYER_OF[target] >= LAYER_OF[app]:
                found.setdefault((name, target), []).append(line)
    return found


def test_every_project_app_has_its_layer():
    assert sorted(LAYER_OF) == sorted(project_apps())


def test_no_app_imports_an_app_above_it():
    unexpected = [
        f"{name}:{lines[0]} imports {target}"
        for (name, target), lines in sorted(upward_imports().items())
        if (name, target) not in ALLOWED
    ]
    assert unexpected == [], "\n".join(unexpected)


def test_the_allowed_exceptions_are_still_needed():
    """An exception whose import went away leaves the list, so it can only shrink."""
    assert sorted(set(ALLOWED) - set(upward_imports())) == []


def test_the_check_sees_imports_inside_functions_and_loaded_by_name():
    source = (
        "from portage import models\n"
        "def ready():\n"
        "    from insurance.signals import claim_filed\n"
        "    import dunning.selectors\n"
        "urlpatterns = [path('', include('webhooks.urls'))]\n"
        "connector = import_string(path)\n"
    )
    assert sorted(imported_modules(source)) == [
        (1, "portage"),
        (3, "insurance.signals"),
        (4, "dunning.selectors"),
        (5, "webhooks.urls"),
    ]


# Tasks modules and the modules they run: a task module imports what it runs, and a module
# a task runs (directly or through the modules it imports) does not import the task module
# back, at the top of the file; the sender of a task is a module the tasks do not import
# (`insurance.services.batch` → `insurance.tasks` → `insurance.services.transmit`).
# (module a task runs, task module) → why it still imports it. Remove an entry when it goes.
TASK_CIRCLES = {
    ("dunning.services.letters", "dunning.tasks"): (
        "a letter written sends its PDF's render task, which draws the PDF in letters; and "
        "the chunk task runs the ladder, whose letters send the render task of the same "
        "module, so splitting letters alone would not end the circle"
    ),
}


def module_files():
    """{dotted module name: path} of every app's modules."""
    modules = {}
    for _app, name, path in app_files():
        parts = name.removesuffix(".py").split("/")
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def top_level_imports(source, modules):
    """The project modules a source imports at its top level (`from a import b` names the
    module `a.b` when there is one, else `a`)."""
    found = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                inner = f"{node.module}.{alias.name}"
                if inner in modules:
                    found.add(inner)
                elif node.module in modules:
                    found.add(node.module)
    return found


def task_circles():
    """{(module, task module)}: a module reached from a task module's top-level imports
    that imports that task module at its own top level."""
    modules = module_files()
    graph = {name: top_level_imports(path.read_text(), modules) for name, path in modules.items()}
    circles = set()
    for tasks in (name for name in modules if name.split(".")[-1] == "tasks"):
        seen, todo = set(), [tasks]
        while todo:
            for imported in graph[todo.pop()] - seen:
                seen.add(imported)
                todo.append(imported)
        circles.update((name, tasks) for name in seen if tasks in graph[name] and name != tasks)
    return circles


def test_what_a_task_runs_does_not_import_the_task_module_back():
    unexpected = sorted(task_circles() - set(TASK_CIRCLES))
    assert unexpected == [], "\n".join(f"{name} imports {tasks}" for name, tasks in unexpected)


def test_the_task_circles_left_are_still_there():
    assert sorted(set(TASK_CIRCLES) - task_circles()) == []


def test_the_circle_check_reads_submodules_and_names():
    modules = {"a.tasks": None, "a.services": None, "a.services.run": None, "a": None}
    source = "from a.services import run\nfrom a import tasks\nfrom a.services import helper\n"
    assert top_level_imports(source, modules) == {"a.services.run", "a.tasks", "a.services"}
