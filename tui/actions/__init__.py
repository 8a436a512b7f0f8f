"""Actions: one executor per runbook action, resolved by the names in tui.domain.actions."""
