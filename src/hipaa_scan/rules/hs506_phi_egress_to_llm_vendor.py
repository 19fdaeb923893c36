from hipaa_scan.rules.base import meta
META = meta(id="HS506", name="phi-egress-to-llm-vendor", severity="medium", confidence="medium", hipaa=["164.308(b)(1)"], sources=["env"], summary="x", description="x", remediation="x")
def check(res, ctx):
    return iter(())
