"""Class mode: a lecturer's class, its students, questions and answers, kept in a database.

Runs never need storage (the id is the run); what a class produces does. models.py holds the
tables, db.py the engine, sessions and migrations (Alembic, in migrations/), crud.py every
query, questions.py what a question asks of one student's run and grading.py how an answer is
judged; the routes are app/api/classes.py.
"""
