"""Materialized paths: "/a/b/c/" is c, under b, under a. A node's subtree is every path it prefixes."""

from __future__ import annotations

SEPARATOR = "/"


def path_of(parent_path: str | None, node_id: str) -> str:
    return f"{parent_path or SEPARATOR}{node_id}{SEPARATOR}"


def is_within(path: str, ancestor_path: str) -> bool:
    """True when `path` is `ancestor_path` itself or lies below it."""
    return path.startswith(ancestor_path)


def ancestor_ids(path: str) -> list[str]:
    """The ids above the node, nearest first."""
    return list(reversed(path.strip(SEPARATOR).split(SEPARATOR)[:-1]))


def rebase(path: str, old_prefix: str, new_prefix: str) -> str:
    return new_prefix + path[len(old_prefix) :]


def subtree_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix` (it ends in "/")."""
    return prefix[:-1] + chr(ord(SEPARATOR) + 1)
