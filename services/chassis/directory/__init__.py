"""Who is who in a tenant, as org last said: a read model of units and employees fed by org's events.

Goals, appraisal and rewards each keep one in their own database, so "the employee's manager" or
"does this HR user cover that unit" is a local query, never a call to org.
"""
