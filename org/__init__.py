"""Organization rollout (development tool, never shipped to Lambda).

``org.package`` expands ``template.yaml`` offline into plain CloudFormation (the member template of
the stack sets) and zips the functions' and layers' code deterministically; ``org.publish`` uploads
the zips and the member template to one artifact bucket per Region. ``org/template.yaml`` is the
stack an administrator deploys in the management or delegated administrator account.
"""
