"""What each `fedishare` command does; fedishare.cli parses the command line."""
