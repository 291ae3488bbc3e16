-- One database per service, as in production; add a line when a service is added.
CREATE DATABASE org;
CREATE DATABASE goals;
CREATE DATABASE appraisal;
CREATE DATABASE rewards;
