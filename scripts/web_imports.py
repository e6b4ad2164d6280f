#!/usr/bin/env python3
"""Checks that the modules of src/web import each other without a cycle (mod.rs, the router,
may import them all). Prints each module's imports with --graph. Exits 1 on a cycle.

A module's imports are the `super::name` and `crate::web::name` paths in its file."""
import pathlib
import re
import sys

WEB = pathlib.Path(__file__).resolve().parent.parent / "src" / "web"


def imports():
    files = {p.stem: p.read_text() for p in WEB.glob("*.rs") if p.stem != "mod"}
    for d in WEB.iterdir():
        if d.is_dir() and (d / "mod.rs").exists():
            files[d.name] = "".join(p.read_text() for p in d.glob("*.rs"))
    graph = {}
    for name, text in files.items():
        used = set()
        for group in re.findall(r"(?:super|crate::web)::\{([^}]*)\}", text):
            used.update(p.split("::")[0].strip() for p in group.split(","))
        used.update(re.findall(r"(?:super|crate::web)::([a-z_]+)", text))
        graph[name] = sorted(u for u in used if u in files and u != name)
    return graph


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    g = imports()
    if "--graph" in sys.argv:
        for name in sorted(g):
            print(f"{name} -> {' '.join(g[name])}")
    found = cycles(g)
    for c in found:
        print("import cycle in src/web:", " -> ".join(c), file=sys.stderr)
    sys.exit(1 if found else 0)
