from dativo_pkg.cli import main

main()
