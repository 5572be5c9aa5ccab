"""HTTP functions: each becomes its own Deployment, scaled to zero by KEDA when idle."""

from pydantic import BaseModel

from k3sfn import Request, http_trigger, serverless


class Greeting(BaseModel):
    name: str
    language: str = "en"


GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo", "es": "Hola"}


@serverless(memory="256Mi", cpu="100m", min_instances=0, max_instances=10, timeout=30, visibility="public")
@http_trigger(path="/api/hello", methods=["GET"])
async def hello_world(request: Request):
    name = request.query_params.get("name", "World")
    return {"message": f"Hello, {name}!"}


@serverless(memory="256Mi", cpu="100m", timeout=10)
@http_trigger(path="/api/greet", methods=["POST"])
async def greet(request: Request):
    greeting = Greeting.model_validate(await request.json())
    word = GREETINGS.get(greeting.language, GREETINGS["en"])
    return {"message": f"{word}, {greeting.name}!"}
