"""How deeply a JSON text nests, found without parsing it."""

import re

# The bytes that matter for nesting: quotes and backslashes (strings) and brackets.
_STRUCTURE = re.compile(rb'["\\\[\]{}]')
_OPENERS = frozenset(b"[{")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Return whether arrays and objects in `body` nest deeper than `limit`.

    A scan of the raw bytes, in a loop rather than by recursion, before json.loads,
    whose own recursion fails (RecursionError) on a few thousand levels, well
    inside the body limit. Brackets inside strings do not count. Malformed JSON is
    left for json.loads to refuse.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _STRUCTURE.finditer(body):
        position = match.start()
        if position == escaped_at:
            continue
        byte = body[position]
        if in_string:
            if byte == 0x5C:  # a backslash: the next byte is escaped
                escaped_at = position + 1
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif byte != 0x5C:
            depth -= 1
    return False
