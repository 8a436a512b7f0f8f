"""The incident session every front end drives (headless runner, TUI, follow view); no Textual."""
