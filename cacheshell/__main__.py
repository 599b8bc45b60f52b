from cacheshell.frontends.cli import main

raise SystemExit(main())
