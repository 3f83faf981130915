"""IMI access management: a Flask + htmx application."""

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the application. ``config`` (a mapping) overrides defaults and ``IMI_*`` variables."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from . import config as config_module

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config_module.configure(app, config)

    from .extensions import babel, csrf, db, login_manager, mail, migrate
    from .i18n import install_template_gettext, select_locale
    from .outbox import links as mail_links
    from . import outbox

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))
    install_template_gettext(app)
    login_manager.init_app(app)
    outbox.init_app(app)
    mail_links.init_app(app)

    from . import (
        access_overview,
        auth,
        authorities,
        directory,
        errors,
        inputs,
        invitations,
        main,
        menu,
        second_factor,
        send_email,
        security,
        security_events,
        security_log,
        tasks,
        templating,
        throttling,
        users,
    )

    inputs.init_app(app)  # first: the int converter of every URL, the query-string check
    security.init_app(app)
    security_events.init_app(app)
    throttling.init_app(app)
    errors.init_app(app)
    menu.init_app(app)
    templating.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(authorities.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(invitations.bp)
    app.register_blueprint(invitations.registration_bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(directory.bp)
    app.register_blueprint(send_email.bp)
    app.register_blueprint(security_log.bp)
    app.register_blueprint(access_overview.bp)
    app.register_blueprint(second_factor.bp)

    from .cli import imi_cli

    app.cli.add_command(imi_cli)
    return app
