from labs import textdiff

OLD = "a\nb\nc\nd\n"
NEW = "a\nB\nc\nd\ne\n"


def test_unified_lines_carry_both_line_numbers():
    lines = textdiff.unified(OLD, NEW)
    assert [(line.kind, line.old, line.new, line.text) for line in lines] == [
        ("hunk", None, None, "@@ -1,4 +1,5 @@"),
        ("context", 1, 1, "a"),
        ("delete", 2, None, "b"),
        ("insert", None, 2, "B"),
        ("context", 3, 3, "c"),
        ("context", 4, 4, "d"),
        ("insert", None, 5, "e"),
    ]


def test_side_by_side_pairs_changed_lines():
    rows = textdiff.side_by_side(OLD, NEW)
    assert [(row.kind, row.left, row.right) for row in rows] == [
        ("hunk", None, None),
        ("equal", "a", "a"),
        ("replace", "b", "B"),
        ("equal", "c", "c"),
        ("equal", "d", "d"),
        ("insert", None, "e"),
    ]


def test_the_same_text_has_no_differences():
    assert textdiff.unified(OLD, OLD) == []
    assert textdiff.side_by_side(OLD, OLD) == []
