from llmlint.cli import main

main()
