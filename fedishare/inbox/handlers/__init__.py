"""One module per family of activity; `fedishare.inbox.dispatch` lists which run for each
activity type, in order."""
