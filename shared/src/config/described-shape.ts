import type { z } from 'zod';

/**
 * A copy of an object schema's shape in which every field without a description gets the one
 * given here (schemas written with JSDoc comments instead of `.describe()`, which the generated
 * docs cannot read). Fields keep their own description when they have one.
 */
export function describedShape<TShape extends z.ZodRawShape>(shape: TShape, descriptions: { [K in keyof TShape]?: string }): TShape {
  const described: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(shape) as [string, z.ZodType][]) {
    const description = descriptions[name as keyof TShape];
    described[name] = field.description === undefined && description !== undefined ? field.describe(description) : field;
  }
  return described as unknown as TShape;
}
