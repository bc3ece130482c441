from hitl_gen.cli import run

run()
