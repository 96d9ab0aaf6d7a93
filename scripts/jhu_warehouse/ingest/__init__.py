"""The ingest stage (`jhu load`): every JHU file validated (`validation`), then the changed ones
landed byte for byte in the lake's raw/ (`land`), behind the load manifest (`manifest`)."""
