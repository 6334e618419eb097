import factory

from accounts.tests.factories import UserFactory
from companies.tests.factories import CompanyFactory
from projects.choices import TaskPriority, TaskStatus
from projects.models import Message, Project, Task, Thread


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    client = factory.SubFactory(CompanyFactory)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    status = TaskStatus.PENDING
    priority = TaskPriority.MEDIUM


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Thread {n}")

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence")
    body_html = factory.LazyAttribute(lambda m: f"<p>{m.body}</p>")
