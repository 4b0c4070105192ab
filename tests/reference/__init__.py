"""An independent reference implementation of the myotrack outcome criteria.

Written from the definitions alone (DOMAIN.md sections 4 and 9, the seed papers, the data
contract) in plain per-patient Python, to be compared with the engine by someone else.
"""
