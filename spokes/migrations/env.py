import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        # The full-text objects (FTS5 tables, dialect-only indexes) belong to a hand-written
        # migration: keep autogenerate from dropping or re-adding them.
        import warnings

        from spokes.core.search import FTS_INDEX, migration_filters

        # SQLite cannot reflect expression indexes; that PostgreSQL-only index is filtered out.
        warnings.filterwarnings("ignore", message=f".*expression-based index '{FTS_INDEX}'")

        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **migration_filters(connection.dialect.name),
            **conf_args
        )

        # A batch migration on SQLite rebuilds a table (drop, recreate, rename) that other rows
        # point at; with foreign keys enforced (spokes.core.db) the drop fails on any database
        # with data. SQLite cannot change the setting inside a transaction, so it is turned off
        # on the raw connection first, every key is checked before the commit, and it is turned
        # back on before the connection returns to the pool.
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def install_shipped_law():
    """Once the schema is at head, install the law shipped with the code (keeping local edits).

    This is why `db upgrade` alone leaves a database that knows every shipped rulebook, rule,
    refusal ground and official calendar day, and why a release that changes shipped law
    updates it. A partial upgrade (to an older revision) installs nothing: the models expect
    the head schema. Migration files themselves stay free of app code.
    """
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(config).get_heads())
    with get_engine().connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        return
    from spokes.deadlines.sync import sync
    from spokes.extensions import db

    report = sync(actor=None)
    from spokes.reports.totals import fill_if_empty

    counted = fill_if_empty()  # the report totals of requests stored before they existed
    db.session.commit()  # `db upgrade` is a command: it commits once, like any other
    logger.info('Shipped law: %d item(s) installed or updated.', len(report.applied))
    if counted:
        logger.info('Report totals: %d request(s) counted.', counted)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
    install_shipped_law()
