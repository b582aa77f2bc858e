// placeholder replaced by the MongoDB store work
export class MongoStore {
  static async connect(_uri: string): Promise<never> {
    throw new Error('MongoDB store not built yet');
  }
}
