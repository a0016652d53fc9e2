"""Operations simulator: weeks of demand and practitioner behaviour run through the real services
(posting, the offer cascade, accept / decline, cancellations, completion) on a throwaway database
with a simulated clock, to compare offer policies. Entry point: `manage.py simulate`."""
