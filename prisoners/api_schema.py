"""The OpenAPI schema of the public API, with the error answers every operation can give."""

from drf_spectacular.openapi import AutoSchema

# Errors are DRF's JSON ({"detail": ...}, {"field": [...]} or a list of messages); a path that
# matches no route at all (a slug with characters no slug has) is Django's HTML 404 page.
ERROR_BODY = {"application/json": {"schema": {}}, "text/html": {"schema": {"type": "string"}}}
ERROR_ANSWERS = {
    "400": "A filter value was not understood; the body names the parameter.",
    "404": "No such record, or the cursor is not one this API gave out.",
    "429": "Too many requests from this address; try again after Retry-After seconds.",
}


# Django's form fields refuse a NUL character in text (a 400); the schema says so.
WITHOUT_NUL = "^[^\\u0000]*$"


class PublicApiSchema(AutoSchema):
    """drf-spectacular's schema, documenting the 400, 404 and 429 answers a client can meet."""

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            is_free_text = schema.get("type") == "string" and not {"enum", "format"} & schema.keys()
            if parameter["in"] == "query" and is_free_text:
                schema.setdefault("pattern", WITHOUT_NUL)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code, description in ERROR_ANSWERS.items():
                responses.setdefault(code, {"content": ERROR_BODY, "description": description})
        return responses
