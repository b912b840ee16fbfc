"""Every write to the quiz tables goes through here (STYLE.md §5)."""
