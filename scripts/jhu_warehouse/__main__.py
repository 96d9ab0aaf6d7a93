from jhu_warehouse.cli import main

raise SystemExit(main())
