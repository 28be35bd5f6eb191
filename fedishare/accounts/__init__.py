"""Our own actors and the people behind them: members, passwords, sessions, sign-ups."""
