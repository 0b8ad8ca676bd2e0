import { types } from 'node:util'
import { FactlineError } from '../errors.js'

/** Deepest nesting a stored value may have: far beyond any SDK item, well inside the call stack. */
export const MAX_JSON_DEPTH = 256

/**
 * Checks that `value` comes back unchanged from a JSON round trip, without running any of the
 * caller's code: only strings, finite numbers, booleans, null, dense arrays and plain objects
 * (prototype `Object.prototype` or null) made of enumerable data properties with string keys.
 * A `Date`, typed array, `Map`/`Set`, `Symbol`, function, `bigint`, `NaN`, `-0`, accessor or
 * non-enumerable property, proxy, hole or cycle would be stored changed (or throw), so each is
 * refused. A property holding `undefined` is accepted: it reads back as absent, as it would
 * from the SDK's own sessions.
 *
 * Visits at most `budget` values (each writes at least one byte of JSON, so a caller passes its
 * byte limit), which keeps the check linear even for a graph that shares one object many times.
 * @throws FactlineError `invalid_item` naming the path (e.g. `items[2].providerData.x`) and the
 * kind of problem, never the value; `content_too_large` when the value has more than `budget` parts.
 */
export function assertJsonValue(value: unknown, path: string, budget: number): void {
  const walk = new JsonWalk(budget)
  try {
    walk.visit(value, path, 0)
  } catch (error) {
    if (error instanceof FactlineError) throw error
    // Only a stack overflow or an engine limit can land here (no caller code runs); its text is ours.
    throw new FactlineError('invalid_item', `${path} could not be inspected`, { details: { path } })
  }
}

class JsonWalk {
  readonly #ancestors = new Set<object>()
  #remaining: number

  constructor(budget: number) {
    this.#remaining = budget
  }

  visit(value: unknown, path: string, depth: number): void {
    if (--this.#remaining < 0) {
      throw new FactlineError('content_too_large', `${path} has more parts than one write may store`, { details: { path } })
    }
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return
      case 'number':
        if (!Number.isFinite(value)) refuse(path, 'a number JSON cannot represent (NaN or Infinity)')
        if (Object.is(value, -0)) refuse(path, '-0, which JSON stores as 0')
        return
      case 'object':
        if (value === null) return
        break
      default:
        refuse(path, `a ${typeof value}, which JSON cannot store`)
    }
    const object = value as object
    if (types.isProxy(object)) refuse(path, 'a Proxy, whose contents could change while stored')
    if (depth >= MAX_JSON_DEPTH) refuse(path, `nested deeper than ${MAX_JSON_DEPTH} levels`)
    if (this.#ancestors.has(object)) refuse(path, 'a reference to itself (a cycle)')
    this.#ancestors.add(object)
    if (Array.isArray(object)) this.#visitArray(object, path, depth)
    else this.#visitObject(object, path, depth)
    this.#ancestors.delete(object)
  }

  #visitArray(array: unknown[], path: string, depth: number): void {
    if (Object.getPrototypeOf(array) !== Array.prototype) refuse(path, 'an array subclass')
    const keys = Reflect.ownKeys(array)
    // An ordinary dense array owns exactly its indices and `length`.
    if (keys.length !== array.length + 1) refuse(path, 'a sparse array or an array with extra properties')
    for (let index = 0; index < array.length; index++) {
      const descriptor = Object.getOwnPropertyDescriptor(array, index)
      const at = `${path}[${index}]`
      if (!descriptor) refuse(at, 'a hole in the array')
      if (!('value' in descriptor) || !descriptor.enumerable) refuse(at, 'an accessor or non-enumerable element')
      if (descriptor.value === undefined) refuse(at, 'undefined, which JSON stores as null')
      this.visit(descriptor.value, at, depth + 1)
    }
  }

  #visitObject(object: object, path: string, depth: number): void {
    const prototype = Object.getPrototypeOf(object)
    if (prototype !== Object.prototype && prototype !== null) {
      refuse(path, `a ${describeClass(object)}, which JSON does not keep`)
    }
    for (const key of Reflect.ownKeys(object)) {
      if (typeof key !== 'string') refuse(path, 'an object with a Symbol key')
      const at = `${path}${propertyPath(key)}`
      const descriptor = Object.getOwnPropertyDescriptor(object, key)!
      if (!('value' in descriptor)) refuse(at, 'an accessor (getter/setter) property')
      if (!descriptor.enumerable) refuse(at, 'a non-enumerable property')
      if (descriptor.value !== undefined) this.visit(descriptor.value, at, depth + 1)
    }
  }
}

function refuse(path: string, what: string): never {
  throw new FactlineError('invalid_item', `${path} is ${what}; store plain JSON data (convert dates to strings, bytes to base64)`, {
    details: { path },
  })
}

function propertyPath(key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return `.${key}`
  // Keys are structure, not content, but a long one is cut so the message stays small.
  return `[${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}]`
}

function describeClass(object: object): string {
  if (types.isDate(object)) return 'Date'
  if (types.isTypedArray(object)) return 'typed array'
  if (types.isMap(object) || types.isSet(object)) return 'Map or Set'
  if (object instanceof Error) return 'Error'
  return 'class instance'
}
