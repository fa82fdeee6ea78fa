# Generated from test_bus_contexts_async.py by tools/unasync.py; do not edit. Run `make codegen`.
"""Two bounded contexts on one bus (sync colour), on every backend's unit of work.

The python-ddd-sandbox shape: the accounts context creates a user account and records
`UserAccountCreated`; the projects context reacts by creating the user's first project in its
own repository, in its own fresh unit of work, after accounts committed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tactica import MessageBus, ConfigurationError, Handlers, InMemoryDatabase, uuid7
from tactica.dataclasses import AggregateRoot, Command, DomainEvent
from tactica.stores.memory import InMemoryUnitOfWork
from tactica.stores.postgres import (
    PostgresConnection,
    PostgresUnitOfWork,
    create_schema,
)
from tactica.stores.sqlite import SQLiteConnection, SQLiteUnitOfWork
from tactica.testing import require_service

POSTGRES = os.environ.get(
    "TACTICA_TEST_POSTGRES", "host=127.0.0.1 port=5432 dbname=test user=postgres"
)


class UserAccountCreated(DomainEvent, name="tests.contexts.user-account-created"):
    user_id: str


class UserAccount(AggregateRoot[str]):
    email: str

    @classmethod
    def register(cls, user_id: str, email: str) -> UserAccount:
        account = cls(id=user_id, email=email)
        account.record(UserAccountCreated(user_id=user_id))
        return account


class ProjectCreated(DomainEvent, name="tests.contexts.project-created"):
    project_id: str


class Project(AggregateRoot[str]):
    owner: str
    title: str

    @classmethod
    def start(cls, owner: str, title: str) -> Project:
        project = cls(id=f"{owner}/{title}", owner=owner, title=title)
        project.record(ProjectCreated(project_id=project.id))
        return project


class CreateUserAccount(Command[str], name="tests.contexts.create-user-account"):
    user_id: str
    email: str


class CreateProject(Command[str], name="tests.contexts.create-project"):
    owner: str
    title: str


@dataclass
class Contexts:
    """The unit-of-work classes of the two contexts on one backend; each makes a fresh one."""

    accounts: Any
    projects: Any


def _contexts(base: Any, accounts_source: object, projects_source: object, **kw: str) -> Contexts:
    accounts_options = {"type_name": f"{kw['prefix']}.account"} if kw else {}
    projects_options = {"type_name": f"{kw['prefix']}.project"} if kw else {}

    class AccountsWork(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(accounts_source)
            self.accounts = self.repository(UserAccount, **accounts_options)

    class ProjectsWork(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__(projects_source)
            self.projects = self.repository(Project, **projects_options)

    return Contexts(AccountsWork, ProjectsWork)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def contexts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Contexts]:
    """Accounts and projects each on their own database (memory, SQLite files) or type names."""
    if request.param == "memory":
        yield _contexts(InMemoryUnitOfWork, InMemoryDatabase(), InMemoryDatabase())
    elif request.param == "sqlite":
        paths = (tmp_path / "accounts.db", tmp_path / "projects.db")
        for path in paths:
            connection = SQLiteConnection(path)
            create_schema(connection)
            connection.close()
        yield _contexts(SQLiteUnitOfWork, *paths)
    else:
        require_service("PostgreSQL", "127.0.0.1", 5432)
        connection = PostgresConnection(POSTGRES)
        create_schema(connection)
        prefix = f"tests.contexts.{uuid7()}"
        try:
            yield _contexts(PostgresUnitOfWork, POSTGRES, POSTGRES, prefix=prefix)
        finally:
            delete = "DELETE FROM tactica_aggregates WHERE aggregate_type LIKE ?"
            connection.execute(delete, (f"{prefix}.%",))
            connection.close()


def _accounts_handlers(contexts: Contexts) -> Handlers:
    accounts = Handlers(unit_of_work=contexts.accounts)

    @accounts.command(message_type=CreateUserAccount)
    def create_user_account(command: CreateUserAccount, uow: Any) -> str:
        with uow:
            uow.accounts.add(UserAccount.register(command.user_id, command.email))
            uow.commit()
        return command.user_id

    return accounts


def test_an_event_of_one_context_is_handled_in_the_other_contexts_fresh_unit_of_work(
    contexts: Contexts,
) -> None:
    """Projects' handler gets a new projects unit of work, after accounts committed."""
    projects = Handlers(unit_of_work=contexts.projects)
    seen: list[tuple[type, bool]] = []

    @projects.event(message_type=UserAccountCreated)
    def open_first_project(event: UserAccountCreated, uow: Any) -> None:
        with contexts.accounts() as probe:
            committed = probe.accounts.find(event.user_id) is not None
        seen.append((type(uow), committed))
        with uow:
            uow.projects.add(Project.start(event.user_id, "Inbox"))
            uow.commit()

    bus = MessageBus(
        Handlers(_accounts_handlers(contexts), projects),
        unit_of_work={contexts.accounts: contexts.accounts, contexts.projects: contexts.projects},
    )
    command = CreateUserAccount(user_id="ada", email="ada@example.com")
    assert bus.dispatch(command) == "ada"
    bus.dispatch(CreateUserAccount(user_id="grace", email="grace@example.com"))

    assert seen == [(contexts.projects, True), (contexts.projects, True)]
    with contexts.projects() as uow:
        project = uow.projects.get("ada/Inbox")
        assert (project.owner, project.version) == ("ada", 1)
        assert uow.projects.find("grace/Inbox") is not None
    with contexts.accounts() as uow:
        assert (uow.accounts.get("ada")).email == "ada@example.com"


def test_a_handler_dispatches_a_follow_up_command_through_the_bus_it_declares(
    contexts: Contexts,
) -> None:
    """The follow-up continues the first command's correlation, caused by the event."""
    projects = Handlers(unit_of_work=contexts.projects)
    sent: list[CreateProject] = []
    created: list[ProjectCreated] = []

    @projects.event(message_type=UserAccountCreated)
    def ask_for_first_project(event: UserAccountCreated, bus: MessageBus) -> None:
        follow_up = CreateProject(owner=event.user_id, title="Inbox")
        sent.append(follow_up)
        assert bus.dispatch(follow_up) == f"{event.user_id}/Inbox"

    @projects.command(message_type=CreateProject)
    def create_project(command: CreateProject, uow: Any) -> str:
        project = Project.start(command.owner, command.title)
        with uow:
            uow.projects.add(project)
            uow.commit()
        return project.id

    @projects.event(message_type=ProjectCreated)
    def remember(event: ProjectCreated) -> None:
        created.append(event)

    bus = MessageBus(
        Handlers(_accounts_handlers(contexts), projects),
        unit_of_work={contexts.accounts: contexts.accounts, contexts.projects: contexts.projects},
    )
    command = CreateUserAccount(user_id="ada", email="ada@example.com")
    bus.dispatch(command)

    [follow_up] = sent
    [project_created] = created
    assert follow_up.correlation_id == project_created.correlation_id == command.message_id
    assert follow_up.causation_id is not None
    assert follow_up.causation_id != command.message_id  # caused by the event, not the command
    assert project_created.causation_id == follow_up.message_id
    with contexts.projects() as uow:
        assert (uow.projects.get("ada/Inbox")).title == "Inbox"


def test_one_factory_for_every_handler_still_serves_a_single_context() -> None:
    """The single-factory form of unit_of_work= is unchanged."""
    database = InMemoryDatabase()
    contexts = _contexts(InMemoryUnitOfWork, database, database)
    bus = MessageBus(_accounts_handlers(contexts), unit_of_work=contexts.accounts)
    bus.dispatch(CreateUserAccount(user_id="ada", email="ada@example.com"))
    with contexts.accounts() as uow:
        assert uow.accounts.find("ada") is not None


def test_a_context_without_a_factory_is_refused_when_the_bus_is_built() -> None:
    """A registry's unit-of-work class missing from unit_of_work={...} fails at start-up."""
    database = InMemoryDatabase()
    contexts = _contexts(InMemoryUnitOfWork, database, database)
    with pytest.raises(ConfigurationError, match=r"create_user_account.*AccountsWork.*ProjectsW"):
        MessageBus(
            _accounts_handlers(contexts), unit_of_work={contexts.projects: contexts.projects}
        )


def test_an_included_registry_keeps_its_context_and_lends_none_to_others() -> None:
    """Handlers(..., unit_of_work=X) applies to included handlers that declare none."""
    database = InMemoryDatabase()
    contexts = _contexts(InMemoryUnitOfWork, database, database)
    plain = Handlers()
    plain.command(message_type=CreateProject)(lambda command, uow: command.title)
    merged = Handlers(_accounts_handlers(contexts), plain, unit_of_work=contexts.projects)
    assert merged.handler_for(CreateUserAccount).unit_of_work is contexts.accounts
    assert merged.handler_for(CreateProject).unit_of_work is contexts.projects
