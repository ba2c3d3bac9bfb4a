from llmlint.cli import entry

entry()
