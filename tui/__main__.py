"""`python -m tui` runs the `rollback` command."""

from tui.app.cli import main

raise SystemExit(main())
