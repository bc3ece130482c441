"""Where the Studio draws a flow's nodes, computed from the graph alone.

The main path runs along the top row, left to right: from the start node, each node's
first edge that does not end the flow (a skill's success, a choice's first value, a
standard node's first condition). A decision on it (a standard node whose first edge
is a condition, not `true`) hangs one row below the step whose result it checks
instead of taking a column, so the top row shows the steps that do something. Every
other node is a side branch: one column right of the rightmost node leading to it
and one row below the lowest, moved further down if that cell is taken. So every
edge goes left to right or straight down, except one back into a loop or from a
side branch back to an earlier main-path node.
"""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.render.flow.graph import END, Graph, Node

COLUMN, ROW = 260, 170  # Studio pixels between cells: the spacing of the earlier hand-placed layouts
ORIGIN = 100


class Cell(NamedTuple):
    column: int
    row: int

    def position(self) -> dict[str, int]:
        """The `.ui.json` position of a node in this cell."""
        return {"x": ORIGIN + self.column * COLUMN, "y": ORIGIN + self.row * ROW}


def main_path(graph: Graph) -> list[str]:
    path, name = [], graph.start
    while name != END and name not in path:
        path.append(name)
        name = next((target for target in graph.node(name).targets() if target != END), END)
    return path


def decides(node: Node) -> bool:
    return node.kind == "standard" and bool(node.edges) and node.edges[0][0] != "true"


def layout(graph: Graph) -> dict[str, Cell]:
    """A cell per node, no two nodes in one cell."""
    cells: dict[str, Cell] = {}
    column = 0
    for name in main_path(graph):
        if cells and decides(graph.node(name)):
            _place(cells, name, Cell(column - 1, 1))
        else:
            _place(cells, name, Cell(column, 0))
            column += 1
    sources: dict[str, list[str]] = {}
    for node in graph.nodes:
        for target in node.targets():
            sources.setdefault(target, []).append(node.name)
    # Breadth-first, each side node comes after one of its sources, so it has a placed one.
    for name in graph.reachable():
        if name not in cells:
            placed = [cells[source] for source in sources[name] if source in cells]
            _place(cells, name, Cell(1 + max(c.column for c in placed), 1 + max(c.row for c in placed)))
    return cells


def _place(cells: dict[str, Cell], name: str, cell: Cell) -> None:
    while cell in cells.values():
        cell = Cell(cell.column, cell.row + 1)
    cells[name] = cell
