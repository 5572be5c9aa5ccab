"""Small HTTP functions. `hello` lists @serverless first; `echo` lists the trigger first."""

from k3sfn import Request, http_trigger, serverless


@serverless(visibility="public", min_instances=0, max_instances=10, timeout=10)
@http_trigger(path="/hello", methods=["GET"])
async def hello(request: Request):
    name = request.query_params.get("name", "World")
    return {"message": f"Hello, {name}!"}


@http_trigger(path="/echo", methods=["POST", "PUT"])
@serverless(memory="64Mi", cpu="25m", environment={"ECHO_MAX_BYTES": "65536"})
async def echo(request: Request):
    body = await request.body()
    return {"method": request.method, "length": len(body), "body": body[:65536].decode(errors="replace")}
