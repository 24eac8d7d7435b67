"""One round of a site's feedback, simulated on the real-footage check set and measured:
``python -m lab.teach_round --check-set data/real_check --out DIR`` (see its ``__main__``)."""
