"""The public greeting endpoint, scaled to zero between requests."""

from k3sfn import Request, http_trigger, serverless


@serverless(memory="128Mi", cpu="50m", min_instances=0, max_instances=10, timeout=10, visibility="public")
@http_trigger(path="/hello", methods=["GET"])
async def hello_world(request: Request):
    name = request.query_params.get("name", "World")
    return {"message": f"Hello, {name}!"}
