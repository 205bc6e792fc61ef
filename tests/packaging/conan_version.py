#!/usr/bin/env python3
"""Checks that conanfile.py's set_version() yields the version CMake generated into version.hpp.

Runs the recipe's own read_project_version() on CMakeLists.txt without importing Conan: the function
and the module's non-Conan imports are extracted from conanfile.py with `ast` and executed alone.
Also checks that set_version() calls read_project_version() on CMakeLists.txt.

usage: conan_version.py <conanfile.py> <CMakeLists.txt> <version.hpp>
Exit status 0 when they agree, 1 otherwise.
"""

import ast
import re
import sys


def is_conan_import(node):
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        names = [node.module or ""]
    return any(n == "conan" or n.startswith(("conan.", "conans")) for n in names)


def load_recipe_parser(conanfile_path):
    with open(conanfile_path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), conanfile_path)
    body = []
    parser_found = False
    set_version_ok = False
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not is_conan_import(node):
            body.append(node)
        elif isinstance(node, ast.FunctionDef) and node.name == "read_project_version":
            body.append(node)
            parser_found = True
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "set_version":
                    calls = {n.func.id for n in ast.walk(item) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
                    strings = {n.value for n in ast.walk(item) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
                    set_version_ok = "read_project_version" in calls and "CMakeLists.txt" in strings
    if not parser_found:
        raise SystemExit(f"FAIL: {conanfile_path} has no module-level read_project_version()")
    if not set_version_ok:
        raise SystemExit(f"FAIL: {conanfile_path}: set_version() does not call read_project_version() on CMakeLists.txt")
    namespace = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), conanfile_path, "exec"), namespace)
    return namespace["read_project_version"]


def main(argv):
    if len(argv) != 4:
        raise SystemExit(__doc__)
    conanfile_path, cmakelists_path, header_path = argv[1:]
    read_project_version = load_recipe_parser(conanfile_path)
    with open(cmakelists_path, encoding="utf-8") as f:
        recipe_version = read_project_version(f.read())
    with open(header_path, encoding="utf-8") as f:
        m = re.search(r'#define LLMTRACE_VERSION_STRING "([^"]*)"', f.read())
    header_version = m.group(1) if m else "<no LLMTRACE_VERSION_STRING>"
    if recipe_version != header_version:
        print(f"llmtrace version mismatch: conanfile.py's set_version() reads '{recipe_version}' from "
              f"{cmakelists_path}, {header_path} says '{header_version}'")
        return 1
    print(f"llmtrace {recipe_version}: conanfile.py's set_version() and version.hpp agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
