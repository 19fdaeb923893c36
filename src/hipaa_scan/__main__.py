from hipaa_scan.cli import run

run()
