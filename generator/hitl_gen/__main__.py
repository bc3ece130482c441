from hitl_gen.entry import run

run()
